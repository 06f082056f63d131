"""What the lesson says: language catalogues, number formatting, narration,
the quiz, edits and weight sets, the plain-text mode. No Textual."""
