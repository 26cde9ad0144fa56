"""The program at a glance: figures over a period, and the fortnightly director digest."""
