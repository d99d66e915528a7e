"""Django forms for the pages: field validation and accessible rendering; the services decide the rest."""
