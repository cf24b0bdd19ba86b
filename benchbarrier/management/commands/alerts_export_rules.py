"""`manage.py alerts_export_rules [--output FILE]`: the enabled alert rules as a
Prometheus rules file (for `rule_files:` in prometheus.yml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from benchbarrier.prometheus_rules import rules_file


class Command(BaseCommand):
    help = "Write the alert rules as a Prometheus rules file (stdout, or --output)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", help="write here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        text = rules_file()
        if options["output"]:
            Path(options["output"]).write_text(text)
            self.stdout.write(f"wrote {text.count('- alert:')} rules to {options['output']}")
        else:
            self.stdout.write(text, ending="")
