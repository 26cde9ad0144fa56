"""bot/feedback: mentees ask their mentor for a short feedback chat; the mentor answers with one tap."""
