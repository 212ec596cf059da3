"""The package's own contract: pure library code that imports nothing of the rest of ebr."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import signatures

PACKAGE = Path(signatures.__file__).parent
FORBIDDEN = ("ebr", "api", "workflows", "activities", "temporalio", "fastapi", "sqlmodel")
FORBIDDEN_ALSO = ("sqlalchemy",)


def test_no_forbidden_imports_in_source() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN + FORBIDDEN_ALSO, (path.name, name)


def test_importing_pulls_in_nothing_forbidden() -> None:
    code = (
        "import sys, signatures, signatures.ca, signatures.merkle, signatures.checkpoints;"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN + FORBIDDEN_ALSO!r}];"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_public_modules_declare_all_and_ship_py_typed() -> None:
    assert (PACKAGE / "py.typed").exists()
    for path in PACKAGE.glob("*.py"):
        if not path.name.startswith("_"):
            assert "__all__" in path.read_text(), path.name
    for name in signatures.__all__:
        assert hasattr(signatures, name), name


def test_error_codes_are_stable() -> None:
    codes = {
        signatures.WrongPassword: "wrong_password",
        signatures.BadSignature: "bad_signature",
        signatures.BadCertificate: "bad_certificate",
        signatures.BadProof: "bad_proof",
        signatures.ChainBroken: "chain_broken",
        signatures.KeyFormatError: "key_format",
        signatures.MalformedInput: "malformed",
    }
    for cls, code in codes.items():
        assert issubclass(cls, signatures.SignatureError) and cls.code == code
    error = signatures.BadProof("the message")
    assert (error.code, error.message, str(error)) == ("bad_proof", "the message", "the message")
