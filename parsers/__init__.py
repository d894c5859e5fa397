"""Pure decoders for Linux crash-log backends: bytes in, records out.

One module per backend (ramoops, mtdoops, efi, pstorefs), each with its
construct definitions at the top and a ``parse`` function below; shared
pieces in kmsg, compression and ecc; every failure is a ParseError.
Modules are imported on demand so the boot path loads only what it uses.
"""

from .exceptions import ParseError  # noqa: F401
