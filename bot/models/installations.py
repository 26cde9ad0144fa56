"""OAuth mode's tables: installations, bot tokens and OAuth states, as slack_sdk defines them.

slack_sdk's `SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore` read and write
these tables themselves; we only own their creation (migration 0010), so the schema
comes from the library's own builders rather than a copy that could drift from it.
Building them on our metadata puts them under the same "migrations match the models"
check as every other table, on SQLite and PostgreSQL.

Every row carries `team_id` and `enterprise_id` (an org-wide Enterprise Grid install has
an `enterprise_id` and no `team_id`). Times here are naive UTC, as slack_sdk writes them.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table

from bot.models.base import Base

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

slack_installations: Table = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, INSTALLATIONS_TABLE
)
slack_bots: Table = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
slack_oauth_states: Table = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, OAUTH_STATES_TABLE
)
