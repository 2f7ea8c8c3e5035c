# Arabic month names ("7 ديسمبر"), the Arabic comma, and no abbreviated months: Arabic does
# not shorten them. A 24-hour clock, as the grid's rows are. The week starts on Saturday, as
# in most Arabic-speaking countries' calendars.
DAY_FORMAT = "l، j F"
DAY_YEAR_FORMAT = "l، j F Y"
DAY_YEAR_TIME_FORMAT = "l، j F Y، H:i"
SHORT_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DAY_YEAR_FORMAT = "j F Y"
SHORT_DAY_TIME_FORMAT = "D، j F، H:i"
LONG_DATE_FORMAT = "j F Y"
FIRST_DAY_OF_WEEK = 6  # Saturday
