"""Permissions of the deadlines app (autodiscovered by ``rules``)."""

import rules

from accounts.rules import is_admin, is_grid_staff, is_leader, is_reviewer, is_supervisor, is_window

# Warnings are for the units that work or coordinate stages, never for customers.
can_view_warnings = is_grid_staff | is_reviewer | is_window | is_supervisor | is_leader | is_admin

rules.add_perm("deadlines.view_warnings", can_view_warnings)
rules.add_perm("deadlines.view_all_warnings", is_admin)
rules.add_perm("deadlines.manage_calendar", is_admin)
rules.add_perm("deadlines.manage_policy", is_admin)
