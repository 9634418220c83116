"""``python -m wafproxy.sidecars.kms serve …`` == ``wafproxy kms serve …``."""

from wafproxy.sidecars.kms.cli import main

raise SystemExit(main())
