"""Import every domain's models so Base.metadata knows all tables (for Alembic and tests)."""

from reelforge.accounts import models as accounts_models  # noqa: F401
from reelforge.admin import models as admin_models  # noqa: F401
from reelforge.credits import models as credits_models  # noqa: F401
from reelforge.db.base import Base
from reelforge.jobs import models as jobs_models  # noqa: F401
from reelforge.library import models as library_models  # noqa: F401
from reelforge.scripts import models as scripts_models  # noqa: F401
from reelforge.youtube import models as youtube_models  # noqa: F401

metadata = Base.metadata
