"""Values: code pages, zoned/packed/binary numbers, dates, edited pictures and record codecs."""
