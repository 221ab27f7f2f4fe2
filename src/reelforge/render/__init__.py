"""reelforge.render: the render pipeline (script -> images -> narration -> subtitles -> MP4 + thumbnail).

See docs/architecture.md, section "Render", for the steps, the timeline and the ffmpeg graph.
"""
