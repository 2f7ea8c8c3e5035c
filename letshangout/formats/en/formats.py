# English as the app has always shown it: day before month, a 24-hour clock.
DAY_FORMAT = "l j F"
DAY_YEAR_FORMAT = "l j F Y"
DAY_YEAR_TIME_FORMAT = "l j F Y, H:i"
SHORT_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DAY_YEAR_FORMAT = "j M Y"
SHORT_DAY_TIME_FORMAT = "D j M, H:i"
LONG_DATE_FORMAT = "j F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
