"""The lecture, its assembly, slide decks, stills, clips and previews."""
