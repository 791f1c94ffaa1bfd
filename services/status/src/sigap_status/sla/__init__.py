"""Working-day service levels: the calendar and policy (`rules`, pure) and the sweep that
reports each passed deadline once (`sweep`)."""
