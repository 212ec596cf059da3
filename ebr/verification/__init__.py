"""Offline verification of the record store and of exported batch bundles (21 CFR 11.10(c), (e)).

Nothing here needs the server: ``verify_store`` reads the database read-only and checks every
chain of every kind (``signed_records``), ``verify_bundle`` reads one JSON file holding a batch's
chain, and both trust only the site CA certificate they are given.
"""

from ebr.verification.bundle import BUNDLE_FORMAT, export_bundle
from ebr.verification.bundle_check import BundleSummary, verify_bundle
from ebr.verification.findings import Inconsistency, SetupProblem, Summary
from ebr.verification.store import verify_store

__all__ = [
    "BUNDLE_FORMAT",
    "BundleSummary",
    "Inconsistency",
    "SetupProblem",
    "Summary",
    "export_bundle",
    "verify_bundle",
    "verify_store",
]
