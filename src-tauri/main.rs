fn main() {
    xwms_desktop_lib::run()
}
