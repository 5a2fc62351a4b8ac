#!/usr/bin/python3
"""Serve vsmartcard's ePass (python3-virtualsmartcard, Debian 3.3) to vpcd.

The test of drivers/emrtd/chipsim runs this script to put a card we did not
write behind Debian's pcscd: vicc's ICAO passport emulator (PassportSAM:
BAC, 3DES secure messaging with the send sequence counter), with its files
(EF.COM, DG1, DG2, DG13, EF.SOD) built from the files the test writes.

Debian's 3.3 package is written for Python 2 in places; the shims below make
it run under Python 3 without touching the installed files:

 1. it imports PyCrypto's ``Crypto`` where Debian ships ``Cryptodome``
    (python3-pycryptodome), and ``Crypto.Hash.SHA`` is ``SHA1`` there;
 2. ``TLVutils.pack`` ends in ``b"".join(result)`` over a bytes value;
 3. ``CryptoUtils.operation_on_string`` calls ``ord`` on bytes items;
 4. secure messaging (SEutils) mixes str and bytes, writes the send
    sequence counter without its leading zero bytes and leaves DO'99' out
    of its answers; any exception there is answered 6988, which is what a
    first probe saw. With these mended, the card answers the worked example
    of Doc 9303 Part 11, Appendix D byte for byte.

The library's PassportSAM reads the MRZ information at a passport's (TD3)
offsets; CCCDPassportSAM takes it from the three lines of the ID card (TD1).
The files are put in the library's MF / DF / TransparentStructureEF here
rather than by its CardGenerator, which prompts for an MRZ and a photo and
files EF.SOD under DG13's FID (010D instead of 011D).

Usage: epass.py --port PORT --mrz "LINE1\\nLINE2\\nLINE3" --com F --dg1 F
       [--dg2 F] [--dg13 F] [--sod F] [--selftest]
"""

import argparse
import os
import sys

for d in ("/usr/lib/python3/site-packages/virtualsmartcard",
          "/usr/lib/python3/dist-packages"):
    if os.path.isdir(d) and d not in sys.path:
        sys.path.insert(0, d)

# Shim 1: Crypto -> Cryptodome, Crypto.Hash.SHA -> SHA1.
import Cryptodome
import Cryptodome.Cipher
import Cryptodome.Cipher.AES
import Cryptodome.Cipher.ARC4
import Cryptodome.Cipher.DES
import Cryptodome.Cipher.DES3
import Cryptodome.Hash
import Cryptodome.Hash.HMAC
import Cryptodome.Hash.MD5
import Cryptodome.Hash.SHA1

Cryptodome.Hash.SHA = Cryptodome.Hash.SHA1
sys.modules["Crypto"] = Cryptodome
sys.modules["Crypto.Cipher"] = Cryptodome.Cipher
sys.modules["Crypto.Hash"] = Cryptodome.Hash
sys.modules["Crypto.Hash.SHA"] = Cryptodome.Hash.SHA1

# Shim 4a: utils.stringtoint is given single bytes, which are ints in
# Python 3 (the padding indicator of DO'87'). Patched before the modules
# that import it by name.
import virtualsmartcard.utils as vsUtils

_stringtoint = vsUtils.stringtoint
vsUtils.stringtoint = lambda data: data if isinstance(data, int) else _stringtoint(data)

# Shim 2: TLVutils.pack joins bytes as if they were a list of strings.
import virtualsmartcard.TLVutils as TLVutils

def pack(tlv_data, recalculate_length=False):
    out = b""
    for tag, length, value in (d[:3] for d in tlv_data):
        if not isinstance(value, (bytes, bytearray)):
            if isinstance(value, str):
                value = value.encode("latin-1")
            else:
                value = pack(value, recalculate_length)
        out += _tlv(tag, len(value) if recalculate_length else length, bytes(value))
    return out


def _tlv(tag, length, value):
    if tag in (0x00, 0xFF):
        return bytes([tag])
    t = b""
    while tag > 0:
        t = bytes([tag & 0xFF]) + t
        tag >>= 8
    if length < 0x80:
        ln = bytes([length])
    else:
        ln = length.to_bytes((length.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(ln)]) + ln
    return t + ln + value


TLVutils.pack = pack

# Shim 3: CryptoUtils.operation_on_string works on str items.
import virtualsmartcard.CryptoUtils as vsCrypto


def operation_on_string(string1, string2, op):
    if len(string1) != len(string2):
        raise ValueError("string1 and string2 must be of equal length")
    return bytes(op(a, b) & 0xFF for a, b in zip(string1, string2))


vsCrypto.operation_on_string = operation_on_string

# Shim 4b: the send sequence counter goes into the MAC as inttostring(ssc),
# without leading zero bytes; it is always 8 bytes (Doc 9303 Part 11, 9.8).
_crypto_checksum = vsCrypto.crypto_checksum


def crypto_checksum(algo, key, data, iv=None, ssc=None):
    if algo == "CC" and ssc is not None:
        return _crypto_checksum(algo, key, ssc.to_bytes(8, "big") + data, iv)
    return _crypto_checksum(algo, key, data, iv, ssc)


vsCrypto.crypto_checksum = crypto_checksum


def load_patched(name, replacements):
    """Imports virtualsmartcard.<name> from its installed source with a few
    literal replacements (each must match exactly once), so a change to
    the installed file fails here loudly instead of silently."""
    import importlib.util
    spec = importlib.util.find_spec("virtualsmartcard." + name)
    with open(spec.origin, encoding="utf-8") as f:
        src = f.read()
    for old, new in replacements:
        if src.count(old) != 1:
            raise SystemExit("epass.py: %s.py changed: %r found %d times" % (name, old, src.count(old)))
        src = src.replace(old, new)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    exec(compile(src, spec.origin, "exec"), mod.__dict__)
    return mod


# Shim 4c: secure messaging in SEutils builds byte strings from str
# literals ("", "\x01") and joins the command's data with "".join.
load_patched("SEutils", [
    ('return_data = ["", ]', 'return_data = [b"", ]'),
    ('to_authenticate = ""\n', 'to_authenticate = b""\n'),
    ('data="".join(return_data)', 'data=b"".join(return_data)'),
    ('        return_data = ""\n        # if sw', '        return_data = b""\n        # if sw'),
    ('if result != "":  # Encrypt', 'if result:  # Encrypt'),
    ('encrypted = "\\x01" + encrypted', 'encrypted = b"\\x01" + encrypted'),
    # ...and answers carry no DO'99' (the status word), which Doc 9303
    # Part 11 requires in every protected answer and under the MAC; the
    # MAC is then computed whatever the status word.
    ('        if sw == SW["NORMAL"]:\n            if self.cct.algorithm is None:',
     '        return_data += pack([(SM_Class["PLAIN_PROCESSING_STATUS"], 2, inttostring(sw, 2))])\n'
     '        if True:\n            if self.cct.algorithm is None:'),
])

from virtualsmartcard.SmartcardFilesystem import MF, DF, TransparentStructureEF  # noqa: E402
from virtualsmartcard.cards.ePass import PassportSAM, ePass_SE  # noqa: E402
from virtualsmartcard.SmartcardSAM import SAM  # noqa: E402
from virtualsmartcard.VirtualSmartcard import Iso7816OS, VirtualICC  # noqa: E402
import virtualsmartcard.CardGenerator as CardGenerator  # noqa: E402


class CCCDPassportSAM(PassportSAM):
    """PassportSAM keyed from a TD1 MRZ (an ID card's three lines): the
    library reads the MRZ information at the offsets of a passport's TD3
    line 2. Everything else, BAC included, is the library's."""

    def __init__(self, mf, mrz_lines):
        SAM.__init__(self, None, None, mf, default_se=ePass_SE)
        l1, l2 = mrz_lines[0], mrz_lines[1]
        info = (l1[5:15] + l2[0:7] + l2[8:15]).encode("ascii")
        import hashlib
        self.KSeed = hashlib.sha1(info).digest()[:16]
        self.KEnc = self.derive_key(self.KSeed, 1)
        self.KMac = self.derive_key(self.KSeed, 2)


def build_card(args):
    mf = MF()
    df = DF(parent=mf, fid=4, dfname=b"\xa0\x00\x00\x02\x47\x10\x01", bertlv_data=[])
    for fid, path in ((0x011E, args.com), (0x0101, args.dg1), (0x0102, args.dg2),
                      (0x010D, args.dg13), (0x011D, args.sod)):
        if path:
            with open(path, "rb") as f:
                df.append(TransparentStructureEF(parent=df, fid=fid, filedescriptor=0, data=f.read()))
    mf.append(df)
    sam = CCCDPassportSAM(mf, args.mrz.split("\n"))
    return mf, sam


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=35963)
    p.add_argument("--mrz", required=True)
    for name in ("com", "dg1", "dg2", "dg13", "sod"):
        p.add_argument("--" + name)
    p.add_argument("--selftest", action="store_true")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    mf, sam = build_card(args)
    if args.selftest:
        return selftest(mf, sam)
    CardGenerator.CardGenerator.getCard = lambda self: (mf, sam)
    import logging
    vicc = VirtualICC(None, "ePass", args.host, args.port,
                      logginglevel=logging.DEBUG if args.verbose else logging.WARNING)
    vicc.sock = QuickAck(vicc.sock)
    vicc.run()


class QuickAck:
    """The card's socket with TCP_QUICKACK set before each read: Debian's
    vpcd 3.3 sends a frame's length and payload in two writes, and without
    it Nagle and the delayed ACK cost 40 ms an APDU (as vpcd.Slot does)."""

    def __init__(self, sock):
        import socket
        self._sock = sock
        self._opt = (socket.IPPROTO_TCP, getattr(socket, "TCP_QUICKACK", None))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def recv(self, n):
        if self._opt[1] is not None:
            self._sock.setsockopt(self._opt[0], self._opt[1], 1)
        return self._sock.recv(n)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def selftest(mf, sam):
    """Runs the APDUs given on stdin (hex, one a line) through the card's OS
    in process and prints the answers, without pcscd. A line "rand HEX..."
    fixes what the card draws next (challenge, K.IC), for worked examples."""
    import logging
    logging.basicConfig(level=logging.DEBUG if os.environ.get("EPASS_DEBUG") else logging.WARNING)
    os_ = Iso7816OS(mf, sam)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        if line.startswith("rand "):
            vals = [bytes.fromhex(v) for v in line[5:].split()]
            import virtualsmartcard.SmartcardSAM as S
            import virtualsmartcard.cards.ePass as E
            it = iter(vals)
            S.urandom = E.urandom = lambda n: next(it)
            continue
        print(os_.execute(bytes.fromhex(line)).hex().upper(), flush=True)


if __name__ == "__main__":
    main()
