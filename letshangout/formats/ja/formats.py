# Japanese writes the weekday after the date in brackets: "12月7日(月)"; Japanese calendars
# start on Sunday.
DAY_FORMAT = "n月j日(D)"
DAY_YEAR_FORMAT = "Y年n月j日(D)"
DAY_YEAR_TIME_FORMAT = "Y年n月j日(D) G:i"
SHORT_DAY_FORMAT = "n月j日"
TIME_FORMAT = "G:i"
YEAR_MONTH_FORMAT = "Y年n月"
SHORT_DAY_YEAR_FORMAT = "Y年n月j日"
SHORT_DAY_TIME_FORMAT = "n月j日(D) G:i"
LONG_DATE_FORMAT = "Y年n月j日"
FIRST_DAY_OF_WEEK = 0  # Sunday
