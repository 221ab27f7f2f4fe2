"""reelforge.providers"""
