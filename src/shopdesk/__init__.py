"""ShopDesk (店务台): the back office of an e-commerce department."""

__version__ = "0.1.0"
