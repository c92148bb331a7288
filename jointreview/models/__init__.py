"""Every model of the jointreview app, collected from the area packages (Django loads the app's
models from here; code may import them from here or from their area)."""
from jointreview.audit.models import *  # noqa: F403
from jointreview.catalogue.models import *  # noqa: F403
from jointreview.clocks.models import *  # noqa: F403
from jointreview.documents.models import *  # noqa: F403
from jointreview.intake.models import *  # noqa: F403
from jointreview.notifications.models import *  # noqa: F403
from jointreview.review.models import *  # noqa: F403
from jointreview.supervision.models import *  # noqa: F403
