"""Program reports and exports: the month's figures, charts, the monthly report to admins,
and CSV exports (named or de-identified) for program evaluation and QI work."""
