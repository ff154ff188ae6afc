"""Send-time code: subscriber store, tokens, editions, transports and the send itself.

Reads only the built edition files (output/editions/<number>/) and the settings file;
never imports Pelican or the newsletter plugin.
"""
