"""reelforge.web"""
