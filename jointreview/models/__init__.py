from .applications import *  # noqa: F403
from .audit import *  # noqa: F403
from .catalogue import *  # noqa: F403
from .clocks import *  # noqa: F403
from .notices import *  # noqa: F403
from .review import *  # noqa: F403
