"""Print the permission matrix (jointreview/policy/table.py) as the README's markdown table."""
from django.core.management.base import BaseCommand

from jointreview.policy.table import markdown


class Command(BaseCommand):
    help = "Print the README's permission matrix, generated from jointreview/policy/table.py."

    def handle(self, *args, **options):
        self.stdout.write(markdown(), ending="")
