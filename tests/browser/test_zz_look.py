import pytest

pytestmark = pytest.mark.browser


def test_look(family_page, children, context):
    page = family_page
    page.goto("/eleves/%d/identite/" % children[1].pk)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/shots/_desk_identite.png", full_page=True)
    for w in (320,):
        page.set_viewport_size({"width": w, "height": 800})
        for size in ("normal", "xlarge"):
            context.add_cookies(
                [{"name": "text_size", "value": size, "domain": "localhost", "path": "/"}]
            )
            for path in [
                "/",
                "/connexion/",
                "/famille/accueil/",
                "/famille/",
                "/eleves/%d/identite/" % children[1].pk,
                "/accessibilite/",
                "/mot-de-passe/",
                "/mentions-legales/",
                "/mot-de-passe-perdu/",
                "/pre-inscription/",
            ]:
                page.goto(path)
                print(
                    w,
                    size,
                    path,
                    page.evaluate(
                        "[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.className]"
                    ),
                )
    page.set_viewport_size({"width": 375, "height": 800})
    for path, name in [("/", "landing"), ("/connexion/", "login"), ("/famille/", "famille")]:
        page.goto(path)
        page.screenshot(path=f"/tmp/shots/_xl_{name}.png", full_page=False)
    page.goto("/famille/")
    page.locator("#id_prenom").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    page.screenshot(
        path="/tmp/shots/_focus.png", clip={"x": 0, "y": 300, "width": 375, "height": 500}
    )
