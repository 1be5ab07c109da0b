"""Known values of the document fields (the vendor is a Turkish e-invoicing API: GIB's codes).

`document_class` picks the channel, `profile_id` the GIB scenario, `document_type` the
invoice type code. Defaults: an e-archive sales invoice.
"""

from typing import Literal

DocumentClass = Literal["e_archive", "e_invoice", "paper"]
DocumentType = Literal["SATIS", "IADE", "TEVKIFAT", "ISTISNA", "OZELMATRAH", "IHRACKAYITLI"]
ProfileId = Literal["EARSIVFATURA", "TEMELFATURA", "TICARIFATURA", "IHRACAT", "YOLCUBERABERFATURA", "KAMU"]

DEFAULT_DOCUMENT_CLASS: DocumentClass = "e_archive"
DEFAULT_DOCUMENT_TYPE: DocumentType = "SATIS"
DEFAULT_PROFILE_BY_CLASS: dict[str, ProfileId] = {
    "e_archive": "EARSIVFATURA",
    "e_invoice": "TEMELFATURA",
    "paper": "EARSIVFATURA",
}
