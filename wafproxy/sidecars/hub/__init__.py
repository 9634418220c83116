"""The findings hub (Security Hub's job): ASFF findings from every producer in one store, the
Security Hub API on the admin listener, controls and a score, and the web console."""
