"""Reading the trust material and checkpoint files the commands are pointed at."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from ebr.trust import CHECKPOINT_CERT_FILE, pki_dir
from ebr.verification.findings import SetupProblem
from signatures.ca import CA_CERT_FILE, load_certificate_pem
from signatures.checkpoints import Checkpoint
from signatures.errors import SignatureError

__all__ = ["ca_path", "checkpoint_cert_path", "read_certificate", "read_checkpoint"]


def ca_path(data_dir: Path, given: Path | None) -> Path:
    return given if given is not None else pki_dir(data_dir) / CA_CERT_FILE


def checkpoint_cert_path(data_dir: Path, given: Path | None) -> Path:
    return given if given is not None else pki_dir(data_dir) / CHECKPOINT_CERT_FILE


def read_certificate(path: Path, what: str) -> x509.Certificate:
    """Raises SetupProblem for a missing, unreadable or non-PEM file."""
    try:
        return load_certificate_pem(path.read_bytes())
    except OSError as exc:
        raise SetupProblem(f"cannot read the {what} at {path}: {exc.strerror}") from None
    except SignatureError as exc:
        raise SetupProblem(f"{path} is not a {what}: {exc.message}") from None


def read_checkpoint(path: Path) -> Checkpoint:
    """Raises SetupProblem for a missing or malformed checkpoint file."""
    try:
        return Checkpoint.from_json(path.read_bytes())
    except OSError as exc:
        raise SetupProblem(f"cannot read the checkpoint at {path}: {exc.strerror}") from None
    except SignatureError as exc:
        raise SetupProblem(f"{path} is not a saved checkpoint: {exc.message}") from None
