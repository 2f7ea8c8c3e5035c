# "segunda-feira, 7 de dezembro": Brazil's calendars start on Sunday.
DAY_FORMAT = r"l, j \d\e F"
DAY_YEAR_FORMAT = r"l, j \d\e F \d\e Y"
DAY_YEAR_TIME_FORMAT = r"l, j \d\e F \d\e Y, H:i"
SHORT_DAY_FORMAT = "j b"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = r"F \d\e Y"
SHORT_DAY_YEAR_FORMAT = "j b Y"
SHORT_DAY_TIME_FORMAT = "D, j b, H:i"
LONG_DATE_FORMAT = r"j \d\e F \d\e Y"
FIRST_DAY_OF_WEEK = 0  # Sunday
