"""De-duplication at enrolment and the examiners' adjudication of suspected duplicates.

A registration that comes with fingerprints is screened (demographics and a
1:N search) before a number is assigned; a suspected duplicate is held as a
case for a fingerprint examiner. ``docs/adjudication.md`` has the workflow.
"""
