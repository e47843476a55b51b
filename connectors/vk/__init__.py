"""VK connector: community bots over the Callback API or Bots Long Poll (vk_api)."""

from .connector import VkConnector
from .options import VkOptions

__all__ = ["VkConnector", "VkOptions"]
