#!/usr/bin/python3
"""Mints test tokens for ssesink's JWT tests, independently of libjwt:
PyJWT (Debian's python3-jwt) for well-formed ones, and by hand for the
hostile ones PyJWT refuses to make.

  jwt-mint.py hs SECRET CLAIMS       HS256 with SECRET
  jwt-mint.py rs PRIVATE.pem CLAIMS  RS256
  jwt-mint.py es PRIVATE.pem CLAIMS  ES256
  jwt-mint.py none CLAIMS            alg "none", empty signature
  jwt-mint.py confuse PUBLIC.pem CLAIMS  HS256 keyed with the public key's PEM
                                     (the HS/RS confusion attack)
  jwt-mint.py tamper TOKEN CLAIMS    TOKEN's header and signature, CLAIMS as payload

CLAIMS is JSON. The token is printed on stdout."""
import base64
import hashlib
import hmac
import json
import sys

import jwt


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    mode = sys.argv[1]
    if mode in ("hs", "rs", "es"):
        claims = json.loads(sys.argv[3])
        if mode == "hs":
            key = sys.argv[2]
        else:
            with open(sys.argv[2], "rb") as f:
                key = f.read()
        print(jwt.encode(claims, key, algorithm={"hs": "HS256", "rs": "RS256", "es": "ES256"}[mode]))
    elif mode == "none":
        claims = json.loads(sys.argv[2])
        head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        print(head + "." + b64(json.dumps(claims).encode()) + ".")
    elif mode == "confuse":
        with open(sys.argv[2], "rb") as f:
            secret = f.read()
        claims = json.loads(sys.argv[3])
        signed = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
        sig = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
        print(signed + "." + b64(sig))
    elif mode == "tamper":
        head, _, sig = sys.argv[2].split(".")
        print(head + "." + b64(json.dumps(json.loads(sys.argv[3])).encode()) + "." + sig)
    else:
        sys.exit("unknown mode " + mode)


main()
