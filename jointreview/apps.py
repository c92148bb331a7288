from django.apps import AppConfig


class JointReviewConfig(AppConfig):
    name = "jointreview"
    verbose_name = "联合审查 Joint review"
