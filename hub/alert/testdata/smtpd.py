"""A real SMTP server for hub/alert's tests (Debian python3-aiosmtpd).

Usage: smtpd.py PORT MODE CERT KEY OUTDIR USER PASSWORD
MODE is starttls (STARTTLS required before AUTH and mail), implicit (TLS
from the first byte) or none (clear text, no AUTH). Each message received
is written to OUTDIR as NNNNN.eml (renamed into place when complete); the
envelope's recipients go to NNNNN.rcpt. Prints READY once listening and
stops when its standard input closes.
"""
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, mode, cert, key, outdir, user, password = sys.argv[1:8]
count = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        base = os.path.join(outdir, "%05d" % count)
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 queued as %05d" % count

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode():
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


kwargs = {"hostname": "127.0.0.1", "port": int(port)}
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
if mode == "starttls":
    kwargs.update(tls_context=ctx, require_starttls=True, authenticator=authenticate, auth_require_tls=True, auth_required=True)
elif mode == "implicit":
    kwargs.update(ssl_context=ctx, authenticator=authenticate, auth_require_tls=False, auth_required=True)
controller = Controller(Handler(), **kwargs)
controller.start()
print("READY", flush=True)
sys.stdin.read()
controller.stop()
