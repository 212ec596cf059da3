"""The batch-history report (issue 5): a signed PDF/A-3b of a batch's whole record.

``load_history`` reads what the report shows from the store (``events`` adds the deviations,
holds, timer events and review; ``decisions`` says where each kind of signed decision is shown),
``render_pdf`` lays it out with its machine-readable record attached, ``signatures.pdf.sign_pdf``
seals it with the site's document-signing key, and ``verify_report_pdf`` checks all of it
offline. ``batch_record`` is the same record as one JSON document; ``activities.reports`` issues
and stores reports.
"""
