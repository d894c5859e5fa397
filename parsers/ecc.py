"""Reed-Solomon ECC of ramoops zones, as fs/pstore/ram_core.c applies it.

The kernel uses init_rs(symsize 8, poly 0x11d, fcr 0, prim 1, nroots) and
encode_rs8/decode_rs8 over 128-byte blocks: a systematic, shortened
RS(255, 255-nroots) code whose parity is stored highest-degree first, the
remainder of the message times x^nroots divided by the generator
(x - 1)(x - a)...(x - a^(nroots-1)), a = 2 in GF(2^8) mod 0x11d.

Encoding is a few lines of field arithmetic, done here, so a region's ECC
size is found and its parity checked the same way with or without
reedsolo; only repairing a block whose parity does not match needs its
decoder (reedsolo uses the same convention: generator 2, fcr 0; the tests
compare the two, and the real-kernel samples confirm both byte for byte).
Each block is re-encoded with a byte-wise LFSR (row ``f`` of its feedback
table is the parity of the one-byte message ``f``).
"""

import functools

from .exceptions import EccError

BLOCK_SIZE = 128
POLY = 0x11D

# Where a distribution has no package of the decoder, pip cannot install it
# into the system Python either (PEP 668): a virtual environment can.
HOW_TO_REPAIR = ("to repair them, install the Python module reedsolo: a "
                 "distribution's python3-reedsolo, or (Debian 12 has none) "
                 "python3 -m venv --system-site-packages DIR; DIR/bin/pip "
                 "install reedsolo; then run DIR/bin/python3 "
                 "/usr/bin/oops-harvest (see oops-harvest(8), ECC)")


@functools.lru_cache(maxsize=1)
def available():
    """Can damaged blocks be repaired?  reedsolo is a dependency, but
    distributions may lack it (Debian 12 does): ECC zones are then found
    and checked all the same, and a damaged block is read as it is, with
    a record problem saying so."""
    try:
        import reedsolo  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _field():
    """Exponent and logarithm tables of GF(2^8) mod POLY, generator 2."""
    exp, log = [0] * 510, [0] * 256
    x = 1
    for i in range(255):
        exp[i] = exp[i + 255] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= POLY
    return exp, log


def _mul(a, b):
    if not a or not b:
        return 0
    exp, log = _field()
    return exp[log[a] + log[b]]


@functools.lru_cache(maxsize=128)
def generator(nroots):
    """Coefficients of the generator polynomial, highest degree first
    (the leading 1 included)."""
    exp, _ = _field()
    poly = [1]
    for i in range(nroots):
        root = exp[i]
        nxt = poly + [0]
        for j, coef in enumerate(poly):
            nxt[j + 1] ^= _mul(coef, root)
        poly = nxt
    return tuple(poly)


@functools.lru_cache(maxsize=8)
def _codec(nroots):
    import reedsolo
    return reedsolo.RSCodec(nsym=nroots, nsize=255, fcr=0, prim=POLY,
                            generator=2, c_exp=8)


@functools.lru_cache(maxsize=8)
def _feedback_table(nroots):
    low = generator(nroots)[1:]
    return [int.from_bytes(bytes(_mul(f, c) for c in low), "big")
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
    """Parity of a short block by plain division (no table to build: layout
    detection tries many sizes on one 12-byte header)."""
    exp, log = _field()
    low = [log[c] if c else None for c in generator(nroots)[1:]]
    rem = [0] * nroots
    for byte in data:
        feedback = byte ^ rem[0]
        rem = rem[1:] + [0]
        if feedback:
            lf = log[feedback]
            for j, lc in enumerate(low):
                if lc is not None:
                    rem[j] ^= exp[lf + lc]
    return bytes(rem)


def correct(data, par, nroots):
    """Return ``(corrected_data, symbols_fixed)`` like decode_rs8.

    Raises EccError when the block has more errors than nroots/2, or when
    its parity does not match and reedsolo, the decoder, is missing.
    """
    if parity(data, nroots) == bytes(par):
        return bytes(data), 0
    if len(data) + nroots > 255:
        raise EccError("block of %d bytes with %d parity bytes exceeds the "
                       "RS(255) code length" % (len(data), nroots))
    if not available():
        raise EccError("damaged block, not repaired: reedsolo is missing")
    import reedsolo
    try:
        fixed, _, errata = _codec(nroots).decode(bytes(data) + bytes(par))
    except reedsolo.ReedSolomonError as exc:
        raise EccError("uncorrectable block: %s" % exc) from None
    return bytes(fixed), len(errata)
