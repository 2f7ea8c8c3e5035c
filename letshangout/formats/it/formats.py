# Italian writes weekday and month names in lower case ("lunedì 7 dicembre"); Django's
# catalog capitalises them: locale/it overrides those entries (locale/GLOSSARY.md).
DAY_FORMAT = "l j F"
DAY_YEAR_FORMAT = "l j F Y"
DAY_YEAR_TIME_FORMAT = "l j F Y, H:i"
SHORT_DAY_FORMAT = "j b"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DAY_YEAR_FORMAT = "j b Y"
SHORT_DAY_TIME_FORMAT = "D j b, H:i"
LONG_DATE_FORMAT = "j F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
