# A day of a month takes the month in the genitive ("7 grudnia", Django's "E"); a month on its
# own, as the calendar's heading, in the nominative ("grudzień 2026", "F").
DAY_FORMAT = "l, j E"
DAY_YEAR_FORMAT = "l, j E Y"
DAY_YEAR_TIME_FORMAT = "l, j E Y, H:i"
SHORT_DAY_FORMAT = "j b"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DAY_YEAR_FORMAT = "j b Y"
SHORT_DAY_TIME_FORMAT = "D, j b, H:i"
LONG_DATE_FORMAT = "j E Y"
FIRST_DAY_OF_WEEK = 1  # Monday
