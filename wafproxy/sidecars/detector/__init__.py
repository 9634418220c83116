"""The threat detector (GuardDuty's job, in the request path).

Per-actor scenarios over the request events (``detector.Detector`` is an ``EventSink``), findings in
GuardDuty's shape (``findings``), remediation through a synchronous gate the data path consults
before the engine and through the control plane's IP sets with a TTL (``remediation``), the
GuardDuty API on the admin listener (``api``) and offline replay of logs (``replay``, ``cli``).
See docs/detector.md.
"""
