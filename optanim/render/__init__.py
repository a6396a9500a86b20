"""What draws with manim: themes, figure views, the lesson slide, manim's seams."""
