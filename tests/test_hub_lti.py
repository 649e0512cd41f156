"""Logging in from Moodle with LTI 1.3: a real JupyterHub with jupyterhub-ltiauthenticator.

The platform (Moodle) is played by this test: it holds an RSA key, publishes its
public half at Moodle's JWKS address, and signs the id_token of a launch as Moodle
does (roles, custom parameter `username=$User.username`). The hub runs with the
configuration the institute uses (deploy/z2jh/values.yaml's LTI settings and
jisr.hub.lti's hook) behind the pinned configurable-http-proxy.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from jisr.hub import lti

pytestmark = pytest.mark.slow
CLIENT_ID = "jisr-moodle-tool"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moodle:
    """The platform side of LTI 1.3: a signing key and its JWKS endpoint."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        keys = {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = json.dumps(keys).encode()
                self.send_response(200 if self.path == "/mod/lti/certs.php" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def id_token(self, nonce: str, username: str, *roles: str, signer=None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url, "aud": CLIENT_ID, "sub": uuid.uuid4().hex, "iat": now, "exp": now + 300, "nonce": nonce,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": "http://127.0.0.1/hub/",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "jisr-what-is-ai"},
            lti.ROLES_CLAIM: list(roles),
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"username": username},
        }
        return jwt.encode(claims, signer or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    from jisr.hub.setup import install_proxy, node_executable

    folder = tmp_path_factory.mktemp("lti-hub")
    moodle = Moodle()
    proxy = install_proxy(folder)
    port, hub_port, api_port = free_port(), free_port(), free_port()
    token = secrets.token_hex(32)
    (folder / "jupyterhub_config.py").write_text(f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{node_executable()!r}, {str(proxy)!r}]
c.ConfigurableHTTPProxy.pid_file = "{folder}/proxy.pid"
c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
c.LTI13Authenticator.issuer = "{moodle.url}"
c.LTI13Authenticator.authorize_url = "{moodle.url}/mod/lti/auth.php"
c.LTI13Authenticator.jwks_endpoint = "{moodle.url}/mod/lti/certs.php"
c.LTI13Authenticator.client_id = ["{CLIENT_ID}"]
c.LTI13Authenticator.username_key = "custom_username"
c.Authenticator.allow_all = True
c.Authenticator.manage_groups = True
from jisr.hub.lti import post_auth_hook
c.Authenticator.post_auth_hook = post_auth_hook
c.JupyterHub.services = [{{"name": "registrar", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{"name": "registrar", "scopes": ["read:users", "read:groups"], "services": ["registrar"]}}]
""", encoding="utf-8")
    log = (folder / "hub.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", str(folder / "jupyterhub_config.py")],
                               cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(900):
            if process.poll() is not None:
                raise RuntimeError("the hub stopped:\n" + (folder / "hub.log").read_text()[-3000:])
            try:
                if requests.get(f"{base}/hub/api/", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        yield {"base": base, "moodle": moodle, "token": token, "log": folder / "hub.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def launch(hub, username: str, *roles: str, signer=None, tamper=None) -> requests.Response:
    """A launch from Moodle: login initiation, the redirect to Moodle's authorize page, the signed answer."""
    browser = requests.Session()
    start = browser.post(f"{hub['base']}/hub/lti13/oauth_login", allow_redirects=False, data={
        "iss": hub["moodle"].url, "login_hint": "42", "target_link_uri": f"{hub['base']}/hub/",
        "lti_message_hint": "launch-1", "client_id": CLIENT_ID})
    assert start.status_code == 302, start.text[:500]
    asked = parse_qs(urlparse(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(f"{hub['moodle'].url}/mod/lti/auth.php")
    token = hub["moodle"].id_token(asked["nonce"][0], username, *roles, signer=signer)
    if tamper:
        token = tamper(token)
    answer = browser.post(f"{hub['base']}/hub/lti13/oauth_callback", allow_redirects=False,
                          data={"id_token": token, "state": asked["state"][0]})
    answer.browser = browser
    return answer


def user(hub, name: str) -> dict | None:
    found = requests.get(f"{hub['base']}/hub/api/users/{name}", headers={"Authorization": f"token {hub['token']}"})
    return found.json() if found.ok else None


def test_a_moodle_teacher_and_learner_log_in_with_their_roles(hub) -> None:
    teacher = launch(hub, "khadija.amrani", lti.INSTRUCTOR)
    assert teacher.status_code == 302, teacher.text[:500]
    assert any(cookie.name.startswith("jupyterhub-session") or cookie.name == "jupyterhub-hub-login"
               for cookie in teacher.browser.cookies)
    learner = launch(hub, "youssef.idrissi", LEARNER)
    assert learner.status_code == 302, learner.text[:500]
    assert user(hub, "khadija.amrani")["groups"] == ["instructors"]
    assert user(hub, "youssef.idrissi")["groups"] == ["learners"]
    # the learner's session is theirs: the hub knows who they are
    me = learner.browser.get(f"{hub['base']}/hub/home")
    assert me.ok and "youssef.idrissi" in me.text


def test_a_forged_or_tampered_launch_logs_nobody_in(hub) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = launch(hub, "intruder", lti.INSTRUCTOR, signer=stranger)  # signed with a key Moodle never published
    assert forged.status_code in (400, 401, 403)

    def swap_payload(token: str) -> str:  # a learner's token made to say Instructor, signature kept
        header, payload, signature = token.split(".")
        claims = json.loads(jwt.utils.base64url_decode(payload))
        claims[lti.ROLES_CLAIM] = [lti.INSTRUCTOR]
        claims["https://purl.imsglobal.org/spec/lti/claim/custom"]["username"] = "intruder2"
        return ".".join([header, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), signature])

    tampered = launch(hub, "intruder2", LEARNER, tamper=swap_payload)
    assert tampered.status_code in (400, 401, 403)
    assert user(hub, "intruder") is None and user(hub, "intruder2") is None
