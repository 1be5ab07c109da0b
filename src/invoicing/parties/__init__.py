"""A party's details (seller or buyer): postal address, tax number, bank accounts, locale,
electronic address. The input shapes and the checks the tenant profile and customers share."""
