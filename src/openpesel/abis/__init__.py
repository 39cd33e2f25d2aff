"""MOSIP's ABIS interface: the AFIS as the de-duplication back end of a national-ID platform.

``messages`` checks requests and shapes responses (pure), ``cbeff`` reads the
biometrics a request points to, ``adapter`` runs the operations. See
docs/abis.md.
"""
