from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目与机构 Projects and organizations"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (group membership follows the organization)
