"""reelforge.accounts"""
