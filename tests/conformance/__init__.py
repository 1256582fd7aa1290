"""Conformance: durable-mp against the official aws-durable-execution-conformance-tests suite.

``handlers/`` holds one durable handler per requirement, written with durable-mp's public API;
``test_conformance.py`` runs each requirement on the local service and judges it with the suite's
own validator; ``report.py`` prints the per-suite table.
"""
