from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jointreview.demo_seed import seed_demo


class Command(BaseCommand):
    help = "Create the demo catalogue, organizations, users and projects (idempotent)."

    def handle(self, *args, **options):
        result = seed_demo()
        made = {k: v for k, v in result.created.items() if v}
        self.stdout.write("seed_demo: " + (", ".join(f"{k}={v}" for k, v in made.items()) or _("nothing new")))
        if result.new_logins:
            self.stdout.write("")
            self.stdout.write(_("Demo logins (shown once; change them after first use):"))
            heads = _("username"), _("password"), _("role / organization")
            self.stdout.write("  {:<16} {:<14} {}".format(*heads))
            for username, password, role, org in result.new_logins:
                self.stdout.write(f"  {username:<16} {password:<14} {role} / {org}")
            self.stdout.write("")
        else:
            self.stdout.write(_(
                "Demo users already exist; their passwords were printed when they were created. "
                "Reset one with: python manage.py changepassword <username>"
            ))
