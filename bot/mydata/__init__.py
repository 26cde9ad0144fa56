"""bot/mydata: a person's own data — `/mentor my-data` (everything kept about them, as
files in their DM), `/mentor forget-me` and `/mentor forget @person` (delete it, keeping
only counts with no one behind them), and the daily retention purge of old free text.

`inventory` lists every column that links to a person or holds free text, and what
each of the three does with it; tests hold the models to that list.
"""
