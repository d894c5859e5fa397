"""Reed-Solomon ECC of ramoops zones, as fs/pstore/ram_core.c applies it.

The kernel uses init_rs(symsize 8, poly 0x11d, fcr 0, prim 1, nroots) and
encode_rs8/decode_rs8 over 128-byte blocks: a systematic, shortened
RS(255, 255-nroots) code whose parity is stored highest-degree first.  That
is exactly reedsolo's convention with generator 2 and fcr 0, which the
real-kernel samples confirm byte for byte.

Checking every block with reedsolo costs ~0.3 ms; a clean block is instead
re-encoded with a byte-wise LFSR whose feedback table comes from reedsolo
itself (the parity of the one-byte message ``f`` is row ``f``), and only a
mismatching block goes to reedsolo's decoder.
"""

import functools

from .exceptions import EccError

BLOCK_SIZE = 128
POLY = 0x11D


@functools.lru_cache(maxsize=1)
def available():
    """reedsolo is a dependency, but distributions may lack it (Debian 12
    does): ECC zones are then read unchecked rather than not at all."""
    try:
        import reedsolo  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=8)
def _codec(nroots):
    import reedsolo
    return reedsolo.RSCodec(nsym=nroots, nsize=255, fcr=0, prim=POLY,
                            generator=2, c_exp=8)


@functools.lru_cache(maxsize=8)
def _feedback_table(nroots):
    codec = _codec(nroots)
    return [int.from_bytes(bytes(codec.encode(bytes([f]))[1:]), "big")
            for f in range(256)]


def parity(data, nroots):
    """The kernel's encode_rs8 parity of ``data`` (nroots bytes)."""
    table = _feedback_table(nroots)
    shift = 8 * (nroots - 1)
    mask = (1 << (8 * nroots)) - 1
    par = 0
    for byte in data:
        par = ((par << 8) & mask) ^ table[byte ^ (par >> shift)]
    return par.to_bytes(nroots, "big")


def header_parity(data, nroots):
    """Parity of a short block straight from reedsolo (no table to build)."""
    return bytes(_codec(nroots).encode(bytes(data))[len(data):])


def correct(data, par, nroots):
    """Return ``(corrected_data, symbols_fixed)`` like decode_rs8.

    Raises EccError when the block has more errors than nroots/2.
    """
    if parity(data, nroots) == bytes(par):
        return bytes(data), 0
    if len(data) + nroots > 255:
        raise EccError("block of %d bytes with %d parity bytes exceeds the "
                       "RS(255) code length" % (len(data), nroots))
    import reedsolo
    try:
        fixed, _, errata = _codec(nroots).decode(bytes(data) + bytes(par))
    except reedsolo.ReedSolomonError as exc:
        raise EccError("uncorrectable block: %s" % exc) from None
    return bytes(fixed), len(errata)
