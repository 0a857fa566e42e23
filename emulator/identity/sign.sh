#!/usr/bin/env bash
# Signs `document` as EC2 signs an instance identity document, with this
# folder's test keys (not AWS's): `rsa2048` (PKCS #7 SignedData, SHA-256 and
# RSA-2048, streamed BER as EC2 writes it), `signature` (RSA PKCS #1 v1.5 of
# the document's SHA-256, a 1,024-bit key as in most Regions) and `pkcs7`
# (SHA-1 and DSA, the legacy form), each base64 in 64-character lines as IMDS
# serves it. With `--new-keys`, makes the keys and their self-signed
# certificates first (valid for 100 years). Needs the openssl binary.
#     bash emulator/identity/sign.sh [--new-keys]
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = --new-keys ]; then
    subject() { echo "/C=ZZ/O=imds-emulator test identity, not AWS/CN=$1"; }
    openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -keyout test-rsa2048-key.pem \
        -out test-rsa2048-cert.pem -subj "$(subject 'RSA-2048 test key')" 2> /dev/null
    openssl req -x509 -newkey rsa:1024 -nodes -days 36500 -keyout test-rsa-key.pem \
        -out test-rsa-cert.pem -subj "$(subject 'RSA test key')" 2> /dev/null
    openssl dsaparam -out dsa-params.pem 2048 2> /dev/null
    openssl req -x509 -newkey dsa:dsa-params.pem -nodes -days 36500 -keyout test-dsa-key.pem \
        -out test-dsa-cert.pem -subj "$(subject 'DSA test key')" 2> /dev/null
    rm dsa-params.pem
fi
# The PEM body only: IMDS serves the base64 without its armor.
body() { sed '/^-----/d'; }
openssl smime -sign -in document -signer test-rsa2048-cert.pem -inkey test-rsa2048-key.pem -md sha256 \
    -nodetach -binary -stream -nosmimecap -nocerts -outform PEM | body > rsa2048
openssl smime -sign -in document -signer test-dsa-cert.pem -inkey test-dsa-key.pem -md sha1 \
    -nodetach -binary -stream -nosmimecap -nocerts -outform PEM | body > pkcs7
openssl dgst -sha256 -sign test-rsa-key.pem document | openssl base64 -A | fold -w 64 > signature
# The certificates in DER too, for firmware that embeds one.
openssl x509 -in test-rsa2048-cert.pem -outform DER -out test-rsa2048-cert.der
openssl x509 -in test-rsa-cert.pem -outform DER -out test-rsa-cert.der
# Each checks with openssl.
armored() { printf -- '-----BEGIN PKCS7-----\n%s\n-----END PKCS7-----\n' "$(cat "$1")"; }
armored rsa2048 | openssl smime -verify -inform PEM -certfile test-rsa2048-cert.pem -noverify -out /dev/null 2> /dev/null
armored pkcs7 | openssl smime -verify -inform PEM -certfile test-dsa-cert.pem -noverify -out /dev/null 2> /dev/null
openssl base64 -d -A -in <(tr -d '\n' < signature) > /tmp/imds-identity-signature.$$
openssl dgst -sha256 -verify <(openssl x509 -in test-rsa-cert.pem -pubkey -noout) \
    -signature /tmp/imds-identity-signature.$$ document > /dev/null
rm -f /tmp/imds-identity-signature.$$
echo "signed: rsa2048, signature, pkcs7 (each verified by openssl)"
